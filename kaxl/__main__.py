from kaxl.cli import run

run()
