"""Burgernet: control rooms, municipalities and citizens together for neighbourhood safety."""
