"""The same person on two rosters: one ID number live in two streets, or in two communities of one.

双报到 means an in-service party member registers at ONE home community. The rule itself is
``sync.check.source.registered_in_other_sources`` (a warning at the ID cell); this module is its
side that knows the mirror:

- ``registered_elsewhere`` finds a workbook's ID numbers in the other sources' live rosters by
  the lookup hash (never decrypting anything), for ``SourceContext``;
- ``recheck_sharing`` keeps the *other* side true. When a sync adds or removes people on a roster
  (inserts, soft deletes, restores), or a source is retired, every other live roster holding one
  of those people has its fingerprint cleared in the same transaction: its next sync reads and
  checks it again even though its sheet did not change, and ``sync.service.sync_sources`` runs
  that sync straight away. So both streets' issues, reports and the data-quality page name the
  person, and the warning goes from both when one side removes them. An edit that keeps the
  people (a phone, a stale row) moves nothing: there is no ping-pong between the two sources.

Live here means what the dashboards count: not deleted, and from a source that is not retired.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Engine, func, select

from sync.check.source import Elsewhere, FindElsewhere
from sync.store.crypto import Vault
from sync.store.models import roster, sources

CHUNK = 500  # hashes per IN (...) list


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]


def _live_elsewhere(own: Iterable[str]):
    # coalesce(): SQLite, without statistics, would walk the live-rows index (deleted_at first) for
    # every chunk instead of looking the hashes up (20 ms against 0.3 ms per 500 hashes at 36,000 rows)
    return [func.coalesce(roster.c.deleted_at, None).is_(None), roster.c.source.not_in(list(own)),
            sources.c.retired_at.is_(None)]


def registered_elsewhere(engine: Engine, vault: Vault, source: str) -> FindElsewhere:
    """A finder for ``SourceContext``: ID numbers -> the other live roster rows holding each."""
    def find(numbers: Sequence[str]) -> dict[str, list[Elsewhere]]:
        by_hash = {vault.lookup_hash(n): n for n in numbers}
        found: dict[str, list[Elsewhere]] = defaultdict(list)
        query = (select(roster.c.id_number_hash, roster.c.source, sources.c.street, roster.c.community)
                 .select_from(roster.join(sources, sources.c.name == roster.c.source))
                 .order_by(sources.c.street, roster.c.source))
        with engine.connect() as conn:
            for chunk in _chunks(list(by_hash)):
                for digest, name, street, community in conn.execute(
                        query.where(roster.c.id_number_hash.in_(chunk), *_live_elsewhere([source]))):
                    found[by_hash[digest]].append(Elsewhere(name, street, community))
        return found
    return find


def recheck_sharing(conn: Connection, names: list[str], hashes: Iterable[str] | None = None) -> list[str]:
    """Other live sources whose roster holds one of ``hashes`` (default: every live person of
    ``names``): their fingerprints are cleared so their next sync checks them again. Their names."""
    if hashes is None:
        hashes = conn.execute(select(roster.c.id_number_hash).where(
            roster.c.source.in_(names), roster.c.deleted_at.is_(None))).scalars().all()
    query = (select(roster.c.source).distinct()
             .select_from(roster.join(sources, sources.c.name == roster.c.source)))
    affected: set[str] = set()
    for chunk in _chunks(sorted(set(hashes))):
        affected.update(conn.execute(query.where(roster.c.id_number_hash.in_(chunk), *_live_elsewhere(names)))
                        .scalars())
    if affected:
        conn.execute(sources.update().where(sources.c.name.in_(affected)).values(fingerprint=None))
    return sorted(affected)
