// SPDX-License-Identifier: MIT
pragma solidity 0.8.26;

import "./TestTokens.sol";

// Tokens written to hurt an indexer. Each is otherwise a working TokenCore, so it can hold and
// move balances like a real token.

/// symbol() returns a 1 MiB string.
contract HugeSymbolToken is TokenCore {
    constructor() TokenCore(18) {}
    function symbol() external pure returns (string memory s) {
        s = new string(1 << 20);
        bytes(s)[0] = "H";
    }
}

/// symbol() burns all the gas it is given.
contract GasBurnerToken is TokenCore {
    constructor() TokenCore(18) {}
    function symbol() external view returns (string memory) {
        uint256 x;
        while (gasleft() > 0) x++;
        return "";
    }
}

/// symbol() returns a uint256, decimals() returns a string: the wrong ABI types.
contract WrongTypesToken {
    event Transfer(address indexed from, address indexed to, uint256 value);
    mapping(address => uint256) public balanceOf;
    function symbol() external pure returns (uint256) { return 42; }
    function decimals() external pure returns (string memory) { return "eighteen"; }
    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }
}

/// decimals() = 255.
contract HugeDecimalsToken is TokenCore {
    string public symbol = "D255";
    constructor() TokenCore(255) {}
}

/// balanceOf reverts, or loops until it runs out of gas.
contract BadBalanceToken {
    event Transfer(address indexed from, address indexed to, uint256 value);
    string public symbol;
    uint8 public constant decimals = 18;
    bool internal immutable loops;
    constructor(string memory symbol_, bool loops_) { symbol = symbol_; loops = loops_; }
    function balanceOf(address) external view returns (uint256) {
        if (!loops) revert("no balance for you");
        uint256 x;
        while (true) x++;
        return x;
    }
    function mint(address to, uint256 amount) external { emit Transfer(address(0), to, amount); }
}

/// Not a token at all: emits Transfer events naming whoever it is told to.
contract FakeTransferEmitter {
    event Transfer(address indexed from, address indexed to, uint256 value);
    function emitTransfer(address from, address to, uint256 value) external { emit Transfer(from, to, value); }
}
