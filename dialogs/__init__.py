"""Domain of the Samtaleguide bot: the concept, the conversation aggregate and its transitions."""
