"""The workspace's pages, one module per area; every view checks its permission."""
