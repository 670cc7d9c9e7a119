"""Stateful stand-in server for the IBM Qiskit Runtime and Azure Quantum APIs."""
