"""The local agent: answers grid questions from the Cortex Analyst semantic model
(data/chat/semantic_model.yaml) and streams Cortex Agent events. See data/chat/agent/agent.py."""

from data.chat.agent.agent import LocalAgent

__all__ = ["LocalAgent"]
