"""The coordinator's workbench: ``iop-scheduler serve``, a local web app for the week.

- ``server`` — starts uvicorn on loopback and prints the URL with its token;
- ``web`` — the pages and actions (FastAPI, Jinja2 templates in ``templates/``, plain
  script and styles in ``static/``: nothing is loaded from elsewhere);
- ``bench`` — what the routes share: settings, the folder's state and caches of it;
- ``uploads`` — what an uploaded clinic file may be;
- ``security`` — the token, the HttpOnly cookie, the CSRF token and the response headers;
- ``editing`` — one tab edits at a time, the others are read-only;
- ``workspace`` — the app's state on disk in ``<out>/.app/`` (a restart loses no edit);
- ``jobs`` — the solve in a child process, with progress and cancel;
- ``week`` — the timetable page: per site, per week, paged, filtered;
- ``edits`` — hand edits judged by the independent checker;
- ``service`` — the one module that calls the rest of the package: the minimal-change
  re-solve, the change report, what-if and recommend-fit among it.
"""
