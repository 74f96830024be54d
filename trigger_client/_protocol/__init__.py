"""The pure protocol core: no I/O, no clocks, no randomness of its own.

``electric_values`` parses Electric's column text; ``shape_log`` is the shape long-poll state machine;
``runs`` turns rows and REST bodies into ``Run``; ``packets`` and ``superjson`` decode and encode
payloads; ``retry`` decides what to do after a failure; ``scopes`` and ``tokens`` build public access
tokens. The I/O layer feeds these modules responses (status, headers, bytes) and passes in time and
randomness.
"""
