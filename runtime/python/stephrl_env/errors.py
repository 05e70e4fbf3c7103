"""Errors a worker reports to the runtime. `code` is stable (the runtime matches on it); `message` is for people."""


class WorkerError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def bad_request(message: str) -> WorkerError:
    return WorkerError("bad_request", message)
