from jobs.cli import main
from sync.cli import run_cli

run_cli(main, "python -m jobs")
