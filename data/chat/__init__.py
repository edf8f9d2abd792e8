"""The chat: the local agent over the semantic model, the Cortex Agents client, and the thread
and feedback store."""
