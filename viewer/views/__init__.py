"""The pages of the web front end, one module per page (the data comes from the APIs).

- ``home``: the portal (/)
- ``planner``: the planner's 3D city (/viewer/)
- ``console``: the emergency command console (/console/)
- ``dashboard``: the city operations dashboard (/dashboard/)
- ``ops``: what the console and the dashboard share (labels, API addresses, live feed)

- ``plates``: the resident's door-plate pages (/P/…, /track/), served first by
  the scan fast path of ``viewer/middleware.py``
- ``audit``: the audit trail for administrators (/audit/)
- ``auth``: sign-in with a second factor and its enrolment
"""

from viewer.views.console import console
from viewer.views.dashboard import dashboard
from viewer.views.home import home
from viewer.views.planner import planner

__all__ = ["console", "dashboard", "home", "planner"]
