from kaxl.cli import main

main()
