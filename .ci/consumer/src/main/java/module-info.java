/** A user's modular application: the library's module name is dev.vmem. */
module consumer {
    requires dev.vmem;
}
