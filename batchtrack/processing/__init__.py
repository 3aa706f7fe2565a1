"""The manufacturing batch record: process definitions, step execution at workstations, growth, corrections."""
