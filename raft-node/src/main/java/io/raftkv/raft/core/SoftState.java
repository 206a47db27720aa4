package io.raftkv.raft.core;

import io.raftkv.raft.api.NodeStatus.Role;

/** The volatile part of a node's state worth reporting: its role and the leader it knows ("" if none). */
public record SoftState(Role role, String leader) {}
