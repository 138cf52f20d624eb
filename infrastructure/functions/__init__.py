"""Built-in pipeline functions, each registered in the ``pipeflow.functions`` entry-point group."""

__all__: list[str] = []
