package io.raftkv.raft.core;


/** The volatile part of a node's state worth reporting: its role and the leader it knows ("" if none). */
public record SoftState(Role role, String leader) {}
