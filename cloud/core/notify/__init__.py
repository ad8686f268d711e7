"""The notifier's pure core: retry and rate-limit policy, signed links, alert text."""
