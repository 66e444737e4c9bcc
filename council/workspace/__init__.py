"""The council's staff workspace: a Django web app that indexes, reviews, withdraws,
keeps and reports the answers in a council store (started by ``booth-council workspace``)."""
