"""aispend: a self-hosted Slack bot that reports Anthropic and OpenAI API spend."""

__version__ = "0.1.0"
