"""Chaos tests (`make chaos`) and the soak run (`make soak`): VoteTracker losing an app process, Redis or
PostgreSQL on election night, on private servers the tests start and break themselves."""
