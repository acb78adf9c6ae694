"""What the schema fuzz's viewshed requests cost without an elevation model, before and after the
early refusal (docs/benchmarks.md, "Schema fuzz runtime").

The fuzz runs on an empty test database (no DEM).  Every viewshed request it sends with a valid body
used to rasterize a surface of up to (2 · radius / cell)² cells before finding the observer's own
cell empty and answering 400; now the 400 comes first.  "Before" is the same code with the DEM check
answered "there is one" (the old path, to the same 400), in the same process, interleaved.

    TEST_DATABASE_NAME=test_bench .venv/bin/python scripts/bench_fuzz_viewshed.py [repeats]
"""

from __future__ import annotations

import base64
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from cim import roles  # noqa: E402
from cim.models import DemRaster  # noqa: E402

# The coverage phase's first positive body for the operation (schemathesis 4): the defaults, (0, 0).
BODIES = [{"observer": [0.0, 0.0], "radius": 1000.0, "cell": 2.0},  # the schema's defaults
          {"observer": [105.72, 34.58], "radius": 500.0, "cell": 5.0}]  # a modest one, in Tianshui


def _time(client, headers, body) -> float:
    t = time.perf_counter()
    response = client.post("/api/cim/analyses/viewshed/", body, content_type="application/json", **headers)
    elapsed = time.perf_counter() - t
    assert response.status_code == 400 and response.json()["field"] == "observer", response.content
    return elapsed


def main(repeats: int) -> None:
    created = setup_databases(verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set())
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user("bench-planner", password="bench-pass-1")
            user.groups.add(Group.objects.get_or_create(name=roles.PLANNER)[0])
            token = base64.b64encode(b"bench-planner:bench-pass-1").decode()
            headers = {"HTTP_AUTHORIZATION": f"Basic {token}"}
            client = Client()
            for body in BODIES:
                _time(client, headers, body)  # warm-up (the projection's transformer, imports)
                before, after = [], []
                for _ in range(repeats):
                    with mock.patch.object(DemRaster.objects, "exists", lambda: True):
                        before.append(_time(client, headers, body))
                    after.append(_time(client, headers, body))
                b, a = statistics.median(before), statistics.median(after)
                print(f"radius {body['radius']:g} m, cell {body['cell']:g} m: before {b * 1000:.1f} ms, "
                      f"after {a * 1000:.1f} ms, after/before {a / b:.3f} (median of {repeats})")
            transaction.set_rollback(True)
    finally:
        teardown_databases(created, verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
