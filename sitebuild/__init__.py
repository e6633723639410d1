"""The site build: run the example scripts (``runner``, ``cells``) and feed MkDocs (``mkdocs_hooks``)."""
