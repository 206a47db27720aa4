package io.raftkv.raft.core;

/** The roles a node can be in; PRE_CANDIDATE is a follower probing with PreVote before it campaigns. */
public enum Role { FOLLOWER, PRE_CANDIDATE, CANDIDATE, LEADER }
