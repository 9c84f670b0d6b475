"""The storage panel's decisions (``domain.storage_health``) and its screen."""

from __future__ import annotations

import asyncio

import pytest

from carelog.bootstrap import build_for_tests
from carelog.domain.storage_health import (DAY_MS, StorageFacts, assess, backup_age_text, format_bytes, is_ios,
                                           usage_fraction)
from carelog.ui import views
from carelog.ui.controller import Controller
from carelog.ui.safety_controller import LAST_BACKUP_KEY, StorageProbe

NOW = 1_764_000_000_000
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
IPAD_OLD = "Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1 Mobile/15E148 Safari/604.1"
IPAD_AS_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
ANDROID = "Mozilla/5.0 (Linux; Android 14; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


def levels(facts: StorageFacts) -> dict[str, str]:
    return {f.key: f.level for f in assess(facts)}


@pytest.mark.parametrize("ua, platform, touch, expected", [
    (IPHONE, "iPhone", 5, True),
    (IPAD_OLD, "iPad", 5, True),
    (IPAD_AS_MAC, "MacIntel", 5, True),      # iPadOS 13+ Safari reports a Mac, but has touch
    (IPAD_AS_MAC, "MacIntel", 0, False),     # a real Mac
    (ANDROID, "Linux armv8l", 5, False),
    ("", "", 0, False),
])
def test_ios_detection_includes_ipads_that_say_they_are_macs(ua, platform, touch, expected):
    assert is_ios(ua, platform, touch) is expected


def test_usage_warns_at_80_percent_and_not_below():
    assert levels(StorageFacts(NOW, usage=799, quota=1000))["usage"] == "ok"
    assert levels(StorageFacts(NOW, usage=800, quota=1000))["usage"] == "warn"
    assert levels(StorageFacts(NOW, usage=1200, quota=1000))["usage"] == "warn"
    assert levels(StorageFacts(NOW, usage=None, quota=1000))["usage"] == "info"
    assert levels(StorageFacts(NOW, usage=5, quota=0))["usage"] == "info"
    assert usage_fraction(250, 1000) == 0.25
    text = {f.key: f.text for f in assess(StorageFacts(NOW, usage=850_000_000, quota=1_000_000_000))}["usage"]
    assert text.startswith("850 MB used of 1.0 GB (85%).") and "Free space" in text


def test_persistence_levels_and_backup_age():
    assert levels(StorageFacts(NOW, persisted=True))["persisted"] == "ok"
    assert levels(StorageFacts(NOW, persisted=False))["persisted"] == "warn"
    assert levels(StorageFacts(NOW))["persisted"] == "info"
    assert levels(StorageFacts(NOW))["backup"] == "warn"
    assert levels(StorageFacts(NOW, last_backup_ms=NOW - 6 * DAY_MS))["backup"] == "ok"
    assert levels(StorageFacts(NOW, last_backup_ms=NOW - 7 * DAY_MS))["backup"] == "warn"
    assert backup_age_text(None, NOW) == "never"
    assert backup_age_text(NOW - 1000, NOW) == "today"
    assert backup_age_text(NOW - DAY_MS, NOW) == "yesterday"
    assert backup_age_text(NOW - 12 * DAY_MS - 5, NOW) == "12 days ago"
    assert format_bytes(12) == "12 bytes" and format_bytes(1500) == "1.5 KB"


def test_ios_advice_only_on_ios_and_not_once_on_the_home_screen():
    assert "ios" not in levels(StorageFacts(NOW, user_agent=ANDROID, max_touch_points=5))
    found = {f.key: f for f in assess(StorageFacts(NOW, user_agent=IPAD_AS_MAC, platform="MacIntel",
                                                   max_touch_points=5))}
    assert found["ios"].level == "warn"
    assert "7 days" in found["ios"].text and "Add to Home Screen" in found["ios"].text
    assert levels(StorageFacts(NOW, user_agent=IPHONE, standalone=True))["ios"] == "ok"


class FakeProbe(StorageProbe):
    """The in-memory twin of the browser's ``navigator.storage``."""

    def __init__(self, usage=100, quota=1000, persisted=False, grant=True, device=None):
        self.usage, self.quota, self._persisted, self.grant = usage, quota, persisted, grant
        self._device = device or {"user_agent": ANDROID, "platform": "Linux", "max_touch_points": 5,
                                  "standalone": False}
        self.asked = 0

    async def estimate(self):
        return self.usage, self.quota

    async def persisted(self):
        return self._persisted

    async def persist(self):
        self.asked += 1
        self._persisted = self.grant
        return self.grant

    def device(self):
        return dict(self._device)


async def _screen(probe: FakeProbe, last_backup=None) -> Controller:
    c = Controller(build_for_tests())
    c.safety.probe = probe
    await c.start()
    await c.submit("caregiver", {"name": "Ann"})
    await c.submit("recipient", {"name": "Mum"})
    if last_backup is not None:
        await c.log.settings.put(LAST_BACKUP_KEY, last_backup)
    await c.navigate("#/storage")
    return c


def test_the_storage_screen_shows_the_findings_and_asks_to_keep_data():
    async def go():
        probe = FakeProbe(usage=900, quota=1000, device={"user_agent": IPHONE, "platform": "iPhone",
                                                         "max_touch_points": 5, "standalone": False})
        c = await _screen(probe)
        page = views.render(c.state)
        assert c.state.screen == "storage"
        for key in ("persisted", "usage", "backup", "ios"):
            assert f'data-finding="{key}" data-level="warn"' in page
        assert "Ask to keep data" in page and "Add to Home Screen" in page
        await c.action("storage-persist", {})
        assert probe.asked == 1 and c.state.storage.persisted is True
        page = views.render(c.state)
        assert 'data-finding="persisted" data-level="ok"' in page and "Ask to keep data" not in page
        assert "keep carelog&#x27;s data" in views.toast(c.state) or "keep carelog's data" in views.toast(c.state)
    asyncio.run(go())


def test_a_refused_persist_request_says_so_and_the_age_of_the_last_backup_shows():
    async def go():
        probe = FakeProbe(grant=False)
        c = await _screen(probe, last_backup=1_764_000_000_000 - 3 * DAY_MS)
        await c.action("storage-persist", {})
        assert c.state.toast.tone == "warn" and "did not agree" in c.state.toast.message
        page = views.render(c.state)
        assert "Last backup: 3 days ago" in page
        assert 'data-finding="backup" data-level="ok"' in page
    asyncio.run(go())


def test_settings_link_to_the_storage_screen_and_a_new_device_can_reach_restore():
    async def go():
        c = Controller(build_for_tests())
        await c.start()
        await c.submit("caregiver", {"name": "Ann"})
        assert c.state.screen == "add_recipient"
        assert 'href="#/storage"' in views.render(c.state)        # "Restore from a backup"
        await c.navigate("#/storage")
        assert c.state.screen == "storage"
        await c.submit("recipient", {"name": "Mum"})
        await c.navigate("#/settings")
        assert 'href="#/storage"' in views.render(c.state)
    asyncio.run(go())
