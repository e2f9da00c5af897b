package io.contextgraph.cli;
public class Main { public static void main(String[] a) { } }
