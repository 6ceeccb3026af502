"""What every stage runs on: the offline guard, worker processes, progress, and files put in place
atomically.
"""
