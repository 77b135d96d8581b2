"""exit_now ends a process the way a normal exit would, only without the interpreter's teardown."""

import subprocess
import sys
import textwrap


def test_exit_now_finishes_what_exit_finishes(tmp_path):
    code = textwrap.dedent(f"""
        import atexit, concurrent.futures, tempfile, threading, time
        from kfsm_lab.exiting import exit_now

        atexit.register(lambda: print("atexit ran"))
        keep = tempfile.TemporaryDirectory(dir={str(tmp_path)!r})
        pool = concurrent.futures.ThreadPoolExecutor(1)
        pool.submit(time.sleep, 0.1)  # an idle pool worker afterwards: not a daemon, waits for work
        threading.Thread(target=lambda: (time.sleep(0.3), print("thread done"))).start()
        print("buffered, no newline", end="")
        exit_now(3)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 3, done.stderr
    assert done.stdout.startswith("buffered, no newline")
    assert "thread done" in done.stdout and done.stdout.rstrip().endswith("atexit ran")  # in the interpreter's order
    assert list(tmp_path.iterdir()) == []  # weakref finalizers (TemporaryDirectory's clean-up) ran


def test_the_command_exits_with_its_status_and_its_words():
    done = subprocess.run([sys.executable, "-m", "kfsm_lab", "config", "show", "--region", "us-wst-2"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "did you mean 'us-west-2'" in done.stderr
    assert subprocess.run([sys.executable, "-m", "kfsm_lab", "--version"], capture_output=True,
                          timeout=60).returncode == 0
