"""Sync a care circle through a folder on a plain HTTP file host.

Pure parts: ``format`` (the files on the endpoint, strictly validated),
``plan`` (what to fetch, when to compact), ``merge`` (union of events by id),
``state`` (checkpoints kept on the device). The thin ``engine`` runs one sync
over the ports. The protocol and its invariants are in ``docs/SYNC.md``.

    from carelog.sync.engine import sync_once
    report = await sync_once(endpoint=url, device_id=log.device_id, store=store, feed=store,
                             transport=transport, settings=settings, cipher=cipher)
    report.pulled, report.pushed, report.errors     # plain-word errors for the status line
"""
