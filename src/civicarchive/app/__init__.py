"""The application services: each takes its collaborators in its constructor and shares
one `ArchiveContext`. `civicarchive.Archive` builds them; the CLI and the web call them.

    registry     agencies and accounts
    reading      items, versions, content, raw bytes, purge markers
    ingesting    observations, JSONL and the platforms' exports
    finding      search and its index
    custody      the adopted policy, acknowledgements, legal holds
    disposition  retention, disposition batches and purges
    evidence     verify, proofs, WARC and BagIt exports
    requests     records requests; productions: what is produced for them
    offline      what needs no archive: policy files, proofs and packages checked offline
"""
