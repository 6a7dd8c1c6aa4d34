"""Empowerment policies: the policy language and its pure decision engine."""
