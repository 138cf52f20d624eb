"""Law: the SQLite pipeline repository answers every sequence of writes exactly as its in-memory model."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.infrastructure.sqlite.management_db import ManagementDb
from pipeflow.infrastructure.sqlite.repositories import SqlitePipelineRepository
from tests.fakes import InMemoryPipelineRepository

ids = st.sampled_from(["a", "b", "c"])
versions = st.integers(min_value=0, max_value=4)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("add"), ids, st.just(0)),
        st.tuples(st.just("update"), ids, versions),
        st.tuples(st.just("delete"), ids, versions),
    ),
    max_size=12,
)


def pipe(pid: str, n: int) -> Pipeline:
    return Pipeline(PipelineId(pid), (FunctionSpec("upper", {"field": f"f{n}"}),))


@settings(max_examples=60, deadline=None)
@given(ops)
async def test_sqlite_matches_the_model(steps: list[tuple[str, str, int]]) -> None:
    model = InMemoryPipelineRepository()
    db = await ManagementDb.open(":memory:")
    try:
        real = SqlitePipelineRepository(db)
        for n, (op, pid, expected) in enumerate(steps):
            if op == "add":
                assert await real.add(pipe(pid, n)) == await model.add(pipe(pid, n))
            elif op == "update":
                assert await real.update(pipe(pid, n), expected) == await model.update(pipe(pid, n), expected)
            else:
                assert await real.delete(PipelineId(pid), expected) == await model.delete(
                    PipelineId(pid), expected
                )
        for pid in ("a", "b", "c"):
            assert await real.get(PipelineId(pid)) == await model.get(PipelineId(pid))
            assert await real.history(PipelineId(pid)) == await model.history(PipelineId(pid))
        assert await real.list_page(None, 10) == await model.list_page(None, 10)
    finally:
        await db.close()
