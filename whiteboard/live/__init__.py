"""Live boards: what happens between a WebSocket and the store.

``registry.Hub`` holds the boards loaded in this process. A ``board.Board`` advances in ticks
(queue, judge, commit, broadcast) and talks to its clients through ``session.Session`` objects,
never to the sockets themselves. Beside the tick: ``presence`` (joins, leaves, cursors),
``resume`` (recent rows for ``since``) and ``replica`` (what changes when other processes serve
the same board: ``Solo`` for one process, ``Shared`` for several).
"""
