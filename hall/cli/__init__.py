"""The command-line tools: `hall run`, `demo`, `watch`, `check-config`, `outbox`, `gateway`,
`speaker`, `hash-password`, `acl` (the broker's password and access-list files); `extras`
says which optional dependencies each command needs.

May import: anything of the project; nothing imports it.
"""
