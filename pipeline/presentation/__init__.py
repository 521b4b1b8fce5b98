"""What people read, rendered from plain data: the feedback pages and problem CSVs members get, the
e-mails the pipeline sends, and the blank return templates. Pure rendering (data in, text or bytes out):
the steps decide what to say and where it goes.
"""
