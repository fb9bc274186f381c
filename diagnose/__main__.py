from diagnose.program import run

run()
