"""The local agent: answers grid questions from the Cortex Analyst semantic model
(data/semantic_model.yaml) and streams Cortex Agent events. See data/agent/agent.py."""

from data.agent.agent import LocalAgent

__all__ = ["LocalAgent"]
