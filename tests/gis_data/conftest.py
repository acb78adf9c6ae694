"""Generated demo cities shared by the generator tests (pure: no database)."""

from __future__ import annotations

import pytest

from gis_data.demo import city, plan

# A part of 秦州's old town on both banks of the Ji River, and a part of the
# valley where 秦州区 meets 麦积区.
OLD_TOWN = plan.SMALL_EXTENT
DISTRICT_SEAM = (105.770, 34.562, 105.812, 34.586)


@pytest.fixture(scope="session")
def old_town():
    return city.generate(seed=plan.DEFAULT_SEED, extent=OLD_TOWN)


@pytest.fixture(scope="session")
def seam():
    return city.generate(seed=plan.DEFAULT_SEED, extent=DISTRICT_SEAM)
