"""User agents that fetch links without a person behind them: crawlers, link-preview fetchers,
headless browsers and HTTP libraries. Their requests still redirect but never count as views.

Maintained by hand: add a token (matched case-insensitively, anywhere in the user agent) when a
new preview fetcher shows up. In-app browsers of social apps (FBAN, Instagram, LinkedInApp)
are people and must not match.
"""

import re
from functools import lru_cache

BOT_TOKENS = (
    # Link-preview fetchers of chat and social apps
    "facebookexternalhit",
    "facebookcatalog",
    "facebot",
    "meta-externalagent",
    "twitterbot",
    "slackbot",
    "slack-imgproxy",
    "discordbot",
    "whatsapp",
    "telegrambot",
    "linkedinbot",
    "pinterestbot",
    "redditbot",
    "skypeuripreview",
    "microsoftpreview",
    "vkshare",
    "embedly",
    "iframely",
    "mastodon",
    # Search engines and crawlers
    "googlebot",
    "google-inspectiontool",
    "googleother",
    "adsbot-google",
    "mediapartners-google",
    "apis-google",
    "feedfetcher-google",
    "bingbot",
    "bingpreview",
    "msnbot",
    "applebot",
    "duckduckbot",
    "yandexbot",
    "yandex.com/bots",
    "baiduspider",
    "sogou",
    "exabot",
    "petalbot",
    "semrushbot",
    "ahrefsbot",
    "mj12bot",
    "dotbot",
    "bytespider",
    "gptbot",
    "chatgpt-user",
    "claudebot",
    "perplexitybot",
    "ccbot",
    "amazonbot",
    "ia_archiver",
    "archive.org_bot",
    # Generic tools and headless browsers
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "httpclient",
    "okhttp",
    "go-http-client",
    "java/",
    "libwww-perl",
    "node-fetch",
    "axios/",
    "undici",
    "postmanruntime",
    "insomnia",
    "headlesschrome",
    "phantomjs",
    "puppeteer",
    "playwright",
    "selenium",
    "lighthouse",
    "pingdom",
    "uptimerobot",
    "statuscake",
    "monitor",
    # Generic words: "crawler", "spider", "bot/" and " bot" (not "Cubot", a phone brand)
    "crawler",
    "spider",
    "bot/",
    "bot;",
    "-bot",
    "_bot",
    "+http",
)

# Matched against the lowercased user agent: a case-insensitive alternation of ~90 tokens costs
# Python's `re` ~0.3 ms a call, the same pattern on a lowercased string ~25 µs.
_BOT_RE = re.compile("|".join(re.escape(token.lower()) for token in BOT_TOKENS))
# A word "bot" on its own ("Some Bot 1.0"), which the tokens above do not catch.
_BOT_WORD_RE = re.compile(r"(?<![a-z])bot(?![a-z])")
MIN_BROWSER_UA_LENGTH = 10


@lru_cache(maxsize=4096)
def is_bot(user_agent: str) -> bool:
    """True for an empty or implausibly short user agent, or one naming a known automated client.

    Cached: real traffic repeats a few thousand user agents, and this runs on every click. The
    cache is bounded, so a flood of random user agents only costs the uncached match.
    """
    user_agent = (user_agent or "").strip().lower()
    if len(user_agent) < MIN_BROWSER_UA_LENGTH:
        return True
    return bool(_BOT_RE.search(user_agent) or _BOT_WORD_RE.search(user_agent))


def is_prefetch(request) -> bool:
    """HEAD requests and browser/proxy prefetches are not someone following the link."""
    if request.method == "HEAD":
        return True
    meta = request.META
    purpose = f"{meta.get('HTTP_PURPOSE', '')} {meta.get('HTTP_SEC_PURPOSE', '')} {meta.get('HTTP_X_PURPOSE', '')}"
    if "prefetch" in purpose.lower() or "preview" in purpose.lower():
        return True
    return meta.get("HTTP_X_MOZ", "").lower() == "prefetch"
