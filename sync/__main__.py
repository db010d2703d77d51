from sync.cli import main, run_cli

run_cli(main, "python -m sync")
