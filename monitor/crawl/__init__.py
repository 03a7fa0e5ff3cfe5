"""Crawling: `runner.run_crawl(source, settings, db, since)` fetches a source's new article
pages into `raw_pages` (state pending). `spider` discovers and fetches, `middlewares` keep
requests on the source's hosts and spot decoy pages, `pipelines` store, `canonical` names."""
