"""Outputs staff open: 汇总表, daily digest, 评分表, rendered 推荐表 and the upstream packet.

Every function here is pure: it takes plain view dataclasses (see `views`)
and writes a file or returns text, so the ledger stays the only writer of state.
"""
