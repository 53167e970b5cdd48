from grader.engine.server import main

main()
