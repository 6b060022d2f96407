"""Live boards: what happens between a WebSocket and the store.

``registry.Hub`` holds the boards loaded in this process (loading, unloading, shutdown). A
``board.Board`` advances in ticks (queue, judge, commit, broadcast; ``ticker`` says when) and
talks to its clients through ``session.Session`` objects, never to the sockets themselves: the
socket layer implements ``session.Transport``. Beside the tick: ``presence`` (joins, leaves,
cursors), ``resume`` (recent rows for ``since``), ``welcome`` (what a joining client is told),
``broadcast`` (frames built once for every client) and ``replica`` (what changes when other
processes serve the same board: ``Solo`` for one process, ``Shared`` for several).
"""
