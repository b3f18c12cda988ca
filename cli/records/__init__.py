"""Pure record plumbing for produce/consume: rpk's -o offset syntax and its %-format language."""
