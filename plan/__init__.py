"""The development plan (UDVIKLINGSPLAN) of a closed conversation: a Word document, and its PDF.

``plan.document.write_plan`` is pure (a conversation in, .docx bytes out); ``plan.pdf.to_pdf``
turns those bytes into a PDF with LibreOffice, without blocking the event loop.
"""
