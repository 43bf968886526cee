"""Batch exports: the local executor on the corpus, isolation, incremental reruns, the
lock, kill -9 and resume, time limits and crashes, and Celery through a real Redis."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from convert.batch import locked, run_batch
from convert.cli import main
from convert.config import Limits, Settings
from convert.executors import local
from convert.executors.local import Pool, run_local
from convert.jobs import Job, JobResult
from tests.conftest import CONTENT, corpus_files

pytestmark = pytest.mark.e2e

ARTICLE = "---\ntitle: Item {n}\ndate: 2024-01-{day:02d}\n---\n\nParagraph {n} of the export.\n"


def _tree(root: Path, count: int = 4) -> Path:
    src = root / "src"
    for n in range(count):
        folder = src / ("a" if n % 2 else "b")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"item-{n}.md").write_text(ARTICLE.format(n=n, day=n % 28 + 1), "utf-8")
    return src


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())["documents"]


def _complete(path: Path) -> None:
    """Raise if ``path`` is not a whole PDF or EPUB."""
    if path.suffix == ".pdf":
        assert PdfReader(path).pages
    else:
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None


def test_corpus_and_samples_through_local_workers(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(CONTENT / "articles", src)
    for path in corpus_files():
        shutil.copy(path, src / path.name)
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    junit = tmp_path / "junit.xml"
    status = main(
        [
            "batch",
            str(src),
            "-o",
            str(out),
            "--jobs",
            "2",
            "--report",
            str(report),
            "--junit",
            str(junit),
        ]
    )
    data = json.loads(report.read_text())
    assert status == 0, data
    docs = _manifest(out)
    assert set(docs) == {p.relative_to(src).as_posix() for p in src.rglob("*.md")}
    for rel, entry in docs.items():
        assert entry["status"] == "ok"
        for output in entry["outputs"].values():
            produced = out / output["path"]
            assert produced.stat().st_size == output["size"]
            _complete(produced)
        assert Path(rel).with_suffix(".pdf").as_posix() == entry["outputs"]["pdf"]["path"]
    assert data["totals"]["converted"] == len(docs)
    assert "<testsuite" in junit.read_text()


def test_failure_is_isolated_and_reported(tmp_path: Path, capsys) -> None:
    src = _tree(tmp_path)
    (src / "a" / "corrupt.md").write_bytes(b"\x00\x01\x02 not text")
    out = tmp_path / "out"
    assert main(["batch", str(src), "-o", str(out), "--jobs", "2"]) == 1
    err = capsys.readouterr()
    assert "corrupt.md: error: binary file" in err.err and "[load.binary]" in err.err
    assert "4 converted" in err.out and "1 failed" in err.out
    docs = _manifest(out)
    assert docs["a/corrupt.md"]["status"] == "failed"
    assert docs["a/corrupt.md"]["error"]["code"] == "load.binary"
    assert not list(out.rglob("corrupt.*"))


def test_incremental_rerun_touch_and_delete(tmp_path: Path) -> None:
    src = _tree(tmp_path, 6)
    out = tmp_path / "out"
    first = run_batch(src, out, Settings(), pool=Pool(jobs=2))
    assert (first.converted, first.skipped) == (6, 0)
    again = run_batch(src, out, Settings(), pool=Pool(jobs=2))
    assert (again.converted, again.skipped) == (0, 6)

    changed = src / "a" / "item-1.md"
    changed.write_text(changed.read_text() + "\nOne more line.\n", "utf-8")
    (src / "b" / "item-2.md").unlink()
    third = run_batch(src, out, Settings(), pool=Pool(jobs=2))
    assert (third.converted, third.skipped, third.removed) == (1, 4, 1)
    assert [rel for rel, e in third.documents.items() if e["status"] == "ok"] == ["a/item-1.md"]
    assert not (out / "b" / "item-2.pdf").exists() and not (out / "b" / "item-2.epub").exists()

    forced = run_batch(src, out, Settings(), pool=Pool(jobs=2), force=True)
    assert forced.converted == 5

    other_settings = run_batch(src, out, Settings(formats=("pdf",)), pool=Pool(jobs=2))
    assert other_settings.converted == 5  # settings changed: everything is rebuilt


def test_second_run_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    src = _tree(tmp_path, 1)
    out = tmp_path / "out"
    with locked(out):
        run = subprocess.run(
            [sys.executable, "-m", "convert", "batch", str(src), "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 1
    assert "another batch run (pid" in run.stderr and "[batch.locked]" in run.stderr
    assert "Traceback" not in run.stderr


def test_kill_9_mid_run_then_rerun_completes(tmp_path: Path) -> None:
    src = _tree(tmp_path, 24)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "convert", "batch", str(src), "-o", str(out), "--jobs", "2"]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(out.rglob("*.pdf"))) < 3:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # The workers die too, a moment later on a loaded machine; until the last one has
    # gone it still holds the run lock (rightly: it might still be writing).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    for produced in [*out.rglob("*.pdf"), *out.rglob("*.epub")]:
        _complete(produced)  # whatever is there under its final name is whole
    rerun = run_batch(src, out, Settings(), pool=Pool(jobs=2))
    assert rerun.failed == 0 and rerun.converted + rerun.skipped == 24
    assert not list(out.rglob("*.part"))
    for produced in [*out.rglob("*.pdf"), *out.rglob("*.epub")]:
        _complete(produced)
    assert len(_manifest(out)) == 24


def _job(path: Path, out: Path, timeout: float = 30.0) -> Job:
    settings = Settings(formats=("epub",), root=path.parent, limits=Limits(timeout=timeout))
    return Job(str(path), path.name, str(out), settings)


def test_time_limit_stops_a_stuck_document(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("# Good\n\nText.\n", "utf-8")
    stuck = tmp_path / "stuck.md"
    os.mkfifo(stuck)  # reading it blocks forever: a document that never finishes
    jobs = [_job(stuck, tmp_path / "o", timeout=1.0), _job(good, tmp_path / "o", timeout=1.0)]
    results = {r.rel: r for r in run_local(jobs, Pool(jobs=1))}
    stopped = results["stuck.md"]
    assert stopped.status == "failed" and stopped.error is not None
    assert stopped.error.code == "convert.timeout"  # the same code as pressroom convert's
    assert "over the 1 s time limit" in stopped.error.message
    assert results["good.md"].status == "ok"


def test_the_supervisor_kills_a_worker_the_alarm_cannot_stop(tmp_path: Path, monkeypatch):
    real = local.run_job

    def deaf(job: Job) -> JobResult:
        if job.rel == "deaf.md":
            time.sleep(3600)  # outside the alarm: like C code that never returns to Python
        return real(job)

    monkeypatch.setattr(local, "run_job", deaf)  # forked workers inherit the patch
    monkeypatch.setattr(local, "GRACE", 0.5)
    jobs = []
    for name in ("deaf.md", "fine.md"):
        path = tmp_path / name
        path.write_text(f"# {name}\n\nText.\n", "utf-8")
        jobs.append(_job(path, tmp_path / "o", timeout=0.5))
    started = time.monotonic()
    results = {r.rel: r for r in run_local(jobs, Pool(jobs=1))}
    assert time.monotonic() - started < 30
    assert results["deaf.md"].error is not None
    assert results["deaf.md"].error.code == "convert.timeout"
    assert results["fine.md"].status == "ok"


def test_a_crashed_worker_is_replaced(tmp_path: Path, monkeypatch) -> None:
    real = local.run_job

    def crashy(job: Job) -> JobResult:
        if job.rel == "boom.md":
            os._exit(3)  # what a segfault in a C library looks like from outside
        return real(job)

    monkeypatch.setattr(local, "run_job", crashy)  # forked workers inherit the patch
    jobs = []
    for name in ("boom.md", "a.md", "b.md"):
        path = tmp_path / name
        path.write_text(f"# {name}\n\nText.\n", "utf-8")
        jobs.append(_job(path, tmp_path / "o"))
    results = {r.rel: r for r in run_local(jobs, Pool(jobs=2))}
    crashed = results["boom.md"]
    assert crashed.error is not None and crashed.error.code == "convert.crash"
    assert "the worker died (exit 3)" in crashed.error.message
    assert results["a.md"].status == results["b.md"].status == "ok"


def test_archive_bundles_outputs_manifest_and_report(tmp_path: Path) -> None:
    src = _tree(tmp_path, 2)
    out, archive, report = tmp_path / "out", tmp_path / "bundle.zip", tmp_path / "r.json"
    assert (
        main(
            ["batch", str(src), "-o", str(out), "--report", str(report), "--archive", str(archive)]
        )
        == 0
    )
    names = set(zipfile.ZipFile(archive).namelist())
    assert {"manifest.json", "r.json", "a/item-1.pdf", "b/item-0.epub"} <= names


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server not installed (make setup installs it)")
    pytest.importorskip("celery", reason="the celery extra is not installed")
    port = _free_port()
    proc = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


def test_celery_batch_matches_a_local_run(tmp_path: Path, redis_url: str) -> None:
    src = _tree(tmp_path, 5)
    (src / "a" / "corrupt.md").write_bytes(b"\x00 binary")
    env = {**os.environ, "PRESSROOM_BROKER_URL": redis_url}
    worker = subprocess.Popen(
        [sys.executable, "-m", "convert", "worker", "--concurrency", "2", "--loglevel", "WARNING"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        remote = subprocess.run(
            [
                sys.executable,
                "-m",
                "convert",
                "batch",
                str(src),
                "-o",
                str(tmp_path / "celery"),
                "--executor",
                "celery",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
    assert remote.returncode == 1, remote.stderr  # the corrupt file fails, the rest converts
    assert "5 converted" in remote.stdout and "1 failed" in remote.stdout
    local_run = run_batch(src, tmp_path / "local", Settings(), pool=Pool(jobs=2))
    assert local_run.failed == 1

    def shape(out: Path) -> dict:
        return {
            rel: (
                e["status"],
                e["source_sha256"],
                {f: o["sha256"] for f, o in e["outputs"].items()},
                [d["code"] for d in e["diagnostics"]],
                (e["error"] or {}).get("code"),
            )
            for rel, e in _manifest(out).items()
        }

    assert shape(tmp_path / "celery") == shape(tmp_path / "local")
