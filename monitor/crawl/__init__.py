"""Crawling: `runner.run_crawl(source, settings, db, since)` fetches a source's new article
pages into `raw_pages` (state pending). `spider` discovers and fetches (reading documents
with `discovery`, HTML pages with `links`, a web archive's index with `archive`),
`middlewares` keep requests on the source's hosts and spot decoy pages, `pipelines` store,
`canonical` names and maps URLs, `check` is `monitor sources check`."""
