"""The transaction coordinator (issue 15): transactional ids, their producer ids and epochs and
the two-phase commit of their transactions, kept in the replicated `__transaction_state` topic."""
