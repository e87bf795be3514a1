from fastgen.cli import main

main()
